"""The shared vocabulary: definitions, dates, periods, intervals, geography and the check catalogue.

Nothing here imports anything of the project above `errors`.
"""
