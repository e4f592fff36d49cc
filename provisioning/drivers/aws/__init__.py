"""AWS resources through boto3: see driver.py; one module per kind, errors.py for the mapping of
boto3's exceptions to the engine's transient/permanent errors."""

from provisioning.drivers.aws.driver import AwsDriver

__all__ = ["AwsDriver"]
