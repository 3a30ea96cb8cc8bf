"""Speed, memory and quality measurements, each a module run from the repository root:
``python -m benchmarks.<name>``, which prints a table and writes results/<name>.json."""
