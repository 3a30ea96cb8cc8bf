"""Training recipes, each step a module run from the repository root: ``python -m recipes.<recipe>.<step>``."""
