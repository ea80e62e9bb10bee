"""Plan files: schema, reading and validating, storing."""
