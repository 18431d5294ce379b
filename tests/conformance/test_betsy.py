"""betsy BPMN conformance, run through the engine: one test per betsy test (all its cases).

A betsy test passes here when every case's trace matches betsy's (as a multiset), or when the
engine refused the file at deploy for a reason it may refuse for: a rule of
engine/definitions/constructs.py, or a test the raw SpiffWorkflow 3.2.0 baseline fails too.
Refusing is never running a diagram wrong. Anything else must be listed in KNOWN_FAILURES with a
precise reason; the entries are strict xfails, so a test that gets fixed turns the suite red
until its entry is removed. `bench/conformance.py` prints the per-group figures.

The corpus is read from `$DIWAN_BETSY_CORPUS`, tests/conformance/betsy or
/work/shared/conformance/betsy (see betsy_harness.corpus_dir); without it the module is skipped.
"""
from __future__ import annotations

import pytest

from engine.definitions.constructs import KNOWN_RUNTIME_GAPS

from .betsy_harness import corpus_dir, load_corpus, run_test

# --- why the engine cannot pass these yet ------------------------------------------------------

_NOT_ROUTED = "inter-instance messages not routed yet"

# Engine bug 1: WorkflowRun._seed (engine/runtime/workflow_run.py) puts the instance's own variable
# objects into task.data (task.data.update(self.variables), no copy). SpiffWorkflow edits task-data
# lists in place when branches join (UnstructuredJoin._run_hook -> DeepMerge.merge_array, whose
# `del a[len(b):]` truncates the list to an older branch's length), which rewrites the instance
# variable itself and the `changes` already queued for the audit log.
_ALIASED = ("engine bug (WorkflowRun._seed shares the instance's list objects with task data; "
            "SpiffWorkflow's join merge truncates them in place): trace entries written before the join "
            "of two paths are lost")
# Engine bug 2: a catch event copies the thrower's whole task data, as it was when the event was
# thrown, into its own data (SpiffWorkflow ItemAwareEventDefinition.throw/update_task_data), and
# WorkflowRun._write_back stores those old values as variable changes.
_STALE_PAYLOAD = ("engine bug (a catching event takes the thrower's task data as it was at the throw, and "
                  "WorkflowRun._write_back stores it as variable changes): later writes are undone")
# Engine bug 3: the process's end join merges every branch's data as it was when that branch ended
# (UnstructuredJoin._run_hook) and WorkflowRun._write_back stores the merge: older copies win.
_STALE_JOIN = ("engine bug (the process end join merges each branch's data as it was when the branch ended, "
               "and WorkflowRun._write_back stores the merge): older copies of `trace` replace newer ones")

KNOWN_FAILURES: dict[str, str] = {
    # messages and signals between instances (the harness leaves routing to the engine)
    "SendTask": f"{_NOT_ROUTED}: the send task's message never reaches the waiting ParallelProcess "
                "instance, so its marker task never runs (no MARKER_exists)",
    "ReceiveTask": f"{_NOT_ROUTED}: the main process's message never reaches ParallelProcess's receive "
                   "task (no MARKER_exists)",
    "Message_StartEvent": f"{_NOT_ROUTED}: the thrown message does not start CalledProcess by its message "
                          "start event (no MARKER_exists)",
    "Message_IntermediateEvent": f"{_NOT_ROUTED}: the thrown message never reaches ParallelProcess's "
                                 "intermediate catch event (no MARKER_exists)",
    "Message_EndEvent": f"{_NOT_ROUTED}: the message end event does not start CalledProcess by its "
                        "message start event (no MARKER_exists)",
    "Signal_StartEvent": f"{_NOT_ROUTED} (signals): the thrown signal does not start CalledProcess by "
                         "its signal start event (no MARKER_exists)",
    "Signal_IntermediateEvent": f"{_NOT_ROUTED} (signals): the thrown signal never reaches "
                                "ParallelProcess's intermediate catch event (no MARKER_exists)",
    # timing and concurrency (engine/definitions/constructs.py KNOWN_RUNTIME_GAPS)
    "ParallelGateway_TrueParallelism": "KNOWN_RUNTIME_GAPS: " + KNOWN_RUNTIME_GAPS["ParallelGateway_TrueParallelism"]
                                       + " (the harness never adds EXECUTION_parallel)",
    "Timer_BoundaryEvent_SubProcess_Interrupting_Activity": (
        "KNOWN_RUNTIME_GAPS: " + KNOWN_RUNTIME_GAPS["Timer_BoundaryEvent_SubProcess_Interrupting_Activity"]
        + " (a script cannot be busy on the virtual clock: SCRIPT_task1 runs, SCRIPT_task2 never)"),
    # engine bug 1: aliased variables truncated at joins
    "ParallelGateway": f"{_ALIASED}: SCRIPT_task2 lost at the parallel join",
    "ParallelGateway_Conditions": f"{_ALIASED}: SCRIPT_task2 lost at the parallel join (every case)",
    "ParallelDiverging_InclusiveConverging": f"{_ALIASED}: SCRIPT_task2 lost at the inclusive join",
    "InclusiveGateway": f"{_ALIASED}: with test=ab, SCRIPT_task2 lost at the inclusive join",
    "InclusiveDiverging_ParallelConverging": f"{_ALIASED}: with test=ab, SCRIPT_task2 lost at the parallel join",
    "WCP03_Synchronization": f"{_ALIASED}: SCRIPT_task2 lost at the synchronizing join",
    "WCP06_MultiChoice_InclusiveGateway": f"{_ALIASED}: with test=ab and abc, SCRIPT_task2 lost at the "
                                          "inclusive join",
    "WCP07_StructuredSynchronizingMerge": f"{_ALIASED}: with test=ab, SCRIPT_task2 lost at the inclusive join",
    "Escalation_EndEvent_TopLevel": f"{_ALIASED}: SCRIPT_task1 lost at the process end join",
    "Escalation_IntermediateThrowEvent": f"{_ALIASED}: SCRIPT_task1 (after the escalation boundary event) "
                                         "lost at the process end join",
    "Signal_IntermediateEvent_ThrowAndCatch": f"{_ALIASED}: SCRIPT_task1 lost at the process end join",
    "Timer_BoundaryEvent_SubProcess_NonInterrupting": f"{_ALIASED}: SCRIPT_task1 and SCRIPT_task2 lost at "
                                                      "the process end join",
    "Multiple_Parallel_IntermediateEvent": f"{_ALIASED}: SCRIPT_task1 lost at the process end join",
    "Multiple_IntermediateEvent_ThrowFirstEventDefinition": f"{_ALIASED}: SCRIPT_task1 lost at the process "
                                                            "end join",
    "Multiple_IntermediateEvent_ThrowLastEventDefinition": f"{_ALIASED}: SCRIPT_task1 lost at the process "
                                                           "end join",
    "Multiple_IntermediateThrowEvent": f"{_ALIASED}: SCRIPT_task1 and SCRIPT_task2 lost at the process end join",
    # engine bug 2: stale event payloads
    "EventBasedGateway_Signals": f"{_STALE_PAYLOAD}: the event-based gateway catches the signal with the "
                                 "thrower's old data and drops SCRIPT_task1",
    "WCP16_DeferredChoice": f"{_STALE_PAYLOAD}: the event-based gateway catches the signal with the thrower's "
                            "old data and drops SCRIPT_task3 (test=a) / SCRIPT_task4 (test=b)",
    "Escalation_BoundaryEvent_SubProcess_NonInterrupting": f"{_STALE_PAYLOAD}: the non-interrupting boundary "
                                                           "event restores the trace of the throw and drops "
                                                           "SCRIPT_task2",
    "Signal_BoundaryEvent_SubProcess_NonInterrupting": f"{_STALE_PAYLOAD}: the non-interrupting boundary event "
                                                       "restores the trace of the throw and drops SCRIPT_task2",
    # engine bug 3: stale branch copies merged by the end join
    "Timer_IntermediateTimeCycleEvent": f"{_STALE_JOIN}: R4/PT1S runs SCRIPT_task1 four times, the instance "
                                        "ends with one",
    "Timer_BoundaryEvent_SubProcess_TimeCycle": f"{_STALE_JOIN}: R4/PT10S runs SCRIPT_task3 four times, the "
                                                "instance ends with one",
}

# --- the tests ----------------------------------------------------------------------------------

_ROOT = corpus_dir()
if _ROOT is None:
    pytest.skip("betsy corpus not found: set DIWAN_BETSY_CORPUS to the folder holding manifest.json",
                allow_module_level=True)
TESTS = load_corpus(_ROOT)


def _params():
    for test in TESTS:
        reason = KNOWN_FAILURES.get(test.name)
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        yield pytest.param(test, id=test.name, marks=marks)


@pytest.mark.parametrize("betsy_test", list(_params()))
def test_betsy(betsy_test, engine, clock):
    result = run_test(engine, clock, betsy_test)
    assert result.outcome in ("passed", "refused"), result.describe()


def test_known_failures_name_betsy_tests():
    names = {t.name for t in TESTS}
    assert sorted(set(KNOWN_FAILURES) - names) == []


def test_corpus_is_complete():
    assert len(TESTS) == 136
    assert sum(len(t.cases) for t in TESTS) == 210
