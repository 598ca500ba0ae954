"""Insight's infrastructure: the resource declarations, the CloudFormation/SAM template
made from them, and ``make package``."""
