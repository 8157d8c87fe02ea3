"""Simulators of the sources duckhouse does not own: demo generators and fault injectors.

They write only landing zones the registry marks `generated`. What reads deliveries
(duckhouse.ingest) never imports this package.
"""
