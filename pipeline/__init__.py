"""The spine, in order: check each source (check.py), reconcile them into a release (release.py),
then render and write every output as a set (outputs.py)."""
