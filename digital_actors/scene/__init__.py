"""Scene files: the pydantic schema, loading with located errors, expressions and checks."""
