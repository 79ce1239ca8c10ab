"""redfish package."""
