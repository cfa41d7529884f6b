"""Limits shared by the API's routes and its OpenAPI document."""

# Ids are 32-bit integers in every database. A larger number in a path names nothing (404 from the URL
# converter) instead of reaching the database, where SQLite cannot bind it and the request would fail.
MAX_ID = 2**31 - 1
ID = f"int(min=1, max={MAX_ID})"
