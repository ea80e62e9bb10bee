"""`plantrack demo`: the 2024 plan year on embedded defaults, on a virtual clock, through the real flows."""
