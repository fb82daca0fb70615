"""The analysts' review web UI: queue, detail, decisions, audit log, dashboard, 汇总表."""
