"""Importers from outside formats: each turns rows into commands on client aggregates."""
