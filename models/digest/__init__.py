"""Where a plan stands for the people who read it, not the people who report to it: the weekly digest's
figures, the weekly snapshot that makes "since last week" a computed figure, and the status board."""
