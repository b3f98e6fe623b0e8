"""Exchange with other systems' formats: ISA-95 B2MML (:mod:`riskengine.interop.b2mml`)."""
