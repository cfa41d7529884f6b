"""Seed data (as data files under seeds/data) and the code that loads them."""
