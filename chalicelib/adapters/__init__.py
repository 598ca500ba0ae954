"""One adapter per AWS service, each taking its boto3 client in the constructor."""
