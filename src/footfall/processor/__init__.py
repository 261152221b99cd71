"""``footfall processor``: the Faust stream processor, a thin shell around the engine.

:class:`footfall.processor.service.Processor` runs one instance; see
docs/architecture.md for topics, ticks, throttling, state and recovery.
"""
