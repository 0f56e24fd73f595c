"""Analytics for the partner and marketer workspace: a rollup kept by a job,
per-company snapshots of the heavy figures, and the reads the page makes."""
