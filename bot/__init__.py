"""Slack adapter: Bolt app, listeners and Block Kit builders; it calls pipeline.jobs.submit_job and nothing deeper."""
