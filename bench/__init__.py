"""Benchmarks: `python -m bench [name ...]` prints a markdown table per benchmark, each against its
baseline in the same run. Databases: a fresh SQLite file, and PostgreSQL when BENCH_DATABASE_URL
(or TEST_DATABASE_URL) names a server (a scratch database is created and dropped there)."""
