"""betsy BPMN execution-conformance tests, run through the engine."""
