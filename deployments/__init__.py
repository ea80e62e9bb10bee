"""Schedules of the flows (always in the plan's time zone) and how they are served."""
