"""Administration over Kafka and the processor's web API: pushing config, control, listing."""
