"""Statistics for the staff console (issue 14): what "resolved" means, and the daily aggregates."""
