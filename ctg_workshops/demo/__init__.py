"""Illustrative sample data for `make run` and the demo logins (``load_sample_data``)."""

from ctg_workshops.demo.data import (
    DEMO_FACILITATOR_USERNAME,
    DEMO_STAFF_USERNAME,
    SAMPLE_PHASE_SLUG,
    DemoLogin,
    SampleDataResult,
)
from ctg_workshops.demo.load import sample_data_load

__all__ = [
    "DEMO_FACILITATOR_USERNAME",
    "DEMO_STAFF_USERNAME",
    "SAMPLE_PHASE_SLUG",
    "DemoLogin",
    "SampleDataResult",
    "sample_data_load",
]
