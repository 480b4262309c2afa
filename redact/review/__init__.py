"""What people decide and read: decisions, regions added, times as written, snapshots, reports."""
