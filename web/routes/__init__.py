"""The workbench's routes, grouped by purpose: signing in, the inbox, the item, the audit."""
