"""Stage 5: the one typed result model that every renderer reads (frozen dataclasses with `to_dict`)."""
