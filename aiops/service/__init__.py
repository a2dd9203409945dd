"""`aiops serve`: the Alertmanager webhook receiver that diagnoses incidents and delivers the answers."""
