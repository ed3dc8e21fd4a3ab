"""Measuring a level: process sampling, aggregation of the samples, integrity, storage."""
