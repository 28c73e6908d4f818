"""Readers turn input files into raw frames of strings, keeping each record's file and line."""
