"""A local Twilio for tests: the REST API SafetyNet calls, and signed webhooks Twilio would send."""

from tests.twilio_fake.phone import Reply, TwilioWebhooks
from tests.twilio_fake.server import FakeTwilioApi, segments

__all__ = ["FakeTwilioApi", "Reply", "TwilioWebhooks", "segments"]
