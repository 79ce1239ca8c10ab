"""Every way out of the box that is not HTTP request/response: Prometheus exposition, webhooks,
syslog and MQTT. Formats are generated from the metric catalogue; push channels deliver from
the one durable outbox (:mod:`smartpdu.events.outbox`)."""
