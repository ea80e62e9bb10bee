"""Inbound mail: focal points' replies read, matched, authorised, applied and answered."""
