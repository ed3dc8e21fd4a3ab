"""Processes upbench starts and always stops: servers, helper services, sidecars, CPU pinning."""
