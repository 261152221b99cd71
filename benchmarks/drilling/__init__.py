"""The fault drill's parts (``benchmarks/drill.py`` runs them).

One concept per module: ``ruleset`` (the rules, profiles and provider the drill runs
and how each rule's commands are compared), ``cluster`` (the broker, the sinks and the
processor and worker processes, killed and started again), ``load`` (the traffic,
produced and recorded), ``faults`` (when to kill what), ``collect`` (what reached
Kafka and the sinks), ``expected`` (what ``footfall simulate`` fires for the recorded
events) and ``verdict`` (the comparison and the table).
"""
