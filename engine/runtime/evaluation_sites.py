"""Every place SpiffWorkflow evaluates or executes text, and why each is safe in diwan.

SpiffWorkflow runs designer text (conditions, scripts, timers, decision cells, correlation
retrieval expressions, ...) with plain ``eval``/``exec`` over real builtins unless its
script engine says otherwise. diwan's script engine (script_engine.py) is the sandbox:
checked code over safe builtins, bounded code in process, the rest in a resource-limited
script process. This table is the inventory of SpiffWorkflow's evaluation sites, each with
the reason it cannot reach plain ``eval``; tests/engine/test_evaluation_sites.py scans
SpiffWorkflow's sources for calls of ``eval``, ``exec``, ``compile``, ``__import__``,
methods named ``evaluate``, ``execute``, ``call_service``, ``compile``, ``import_module``,
``subprocess``, ``os.system``, ``pickle`` and ``marshal`` loads, and fails on any site not listed here (so an upgrade cannot add one silently) and on any
listed site that is gone (so the table stays true). Keys: (file relative to the
SpiffWorkflow package, enclosing function, the called expression).
"""
from __future__ import annotations

THROUGH_ENGINE = "calls script_engine.evaluate/execute: DiwanScriptEngine, the sandbox"
THROUGH_ENVIRONMENT = ("calls script_engine.environment.evaluate: DiwanScriptEngine's environment is "
                       "SandboxEnvironment, the same sandbox (the stock one is plain eval)")
STOCK_ENVIRONMENT = ("the stock TaskDataEnvironment (plain eval/exec): never used, DiwanScriptEngine replaces "
                     "it with SandboxEnvironment; a tripwire test runs processes with it disabled")
OVERRIDDEN = "PythonScriptEngine's method, overridden by DiwanScriptEngine (and never reaching the stock environment)"

SITES: dict[tuple[str, str, str], str] = {
    ("bpmn/script_engine/python_engine.py", "PythonScriptEngine.evaluate", "self.environment.evaluate"): OVERRIDDEN,
    ("bpmn/script_engine/python_engine.py", "PythonScriptEngine.execute", "self.environment.execute"): OVERRIDDEN,
    ("bpmn/script_engine/python_engine.py", "PythonScriptEngine.call_service", "self.environment.call_service"):
        "reaches SandboxEnvironment.call_service, which refuses (SpiffWorkflow service operators are not parsed)",
    ("bpmn/script_engine/python_environment.py", "TaskDataEnvironment.evaluate", "eval"): STOCK_ENVIRONMENT,
    ("bpmn/script_engine/python_environment.py", "TaskDataEnvironment.execute", "exec"): STOCK_ENVIRONMENT,
    ("bpmn/serializer/migration/version_1_2.py", "convert_timer_expressions.convert_timedate", "eval"):
        "serializer migration from format 1.2: never run, stored state is read with from_dict (no migration) and a "
        "state in any other format than diwan's is refused (workflow_state.load)",
    ("bpmn/serializer/migration/version_1_2.py", "convert_timer_expressions.convert_cycle", "eval"):
        "serializer migration from format 1.2: never run (see convert_timedate)",
    ("bpmn/specs/bpmn_process_spec.py", "AdHocSubprocessSpec.path_complete",
     "workflow.script_engine.environment.evaluate"): THROUGH_ENVIRONMENT + "; ad-hoc subprocesses are refused at deploy",
    ("bpmn/specs/bpmn_process_spec.py", "AdHocSubprocessSpec.check_condition",
     "workflow.script_engine.environment.evaluate"): THROUGH_ENVIRONMENT + "; ad-hoc subprocesses are refused at deploy",
    ("bpmn/specs/bpmn_task_spec.py", "_BpmnCondition._matches", "task.workflow.script_engine.evaluate"): THROUGH_ENGINE,
    ("bpmn/specs/event_definitions/conditional.py", "ConditionalEventDefinition.has_fired",
     "my_task.workflow.script_engine.evaluate"): THROUGH_ENGINE,
    ("bpmn/specs/event_definitions/message.py", "MessageEventDefinition.calculate_correlations",
     "script_engine.environment.evaluate"): THROUGH_ENVIRONMENT + " (correlation retrieval expressions)",
    ("bpmn/specs/event_definitions/timer.py", "TimeDateEventDefinition.has_fired",
     "my_task.workflow.script_engine.evaluate"): THROUGH_ENGINE,
    ("bpmn/specs/event_definitions/timer.py", "DurationTimerEventDefinition.has_fired",
     "my_task.workflow.script_engine.evaluate"): THROUGH_ENGINE,
    ("bpmn/specs/event_definitions/timer.py", "CycleTimerEventDefinition.cycle_complete",
     "my_task.workflow.script_engine.evaluate"): THROUGH_ENGINE,
    ("bpmn/specs/mixins/multiinstance_task.py", "StandardLoopTask.loop_complete",
     "my_task.workflow.script_engine.evaluate"): THROUGH_ENGINE,
    ("bpmn/specs/mixins/multiinstance_task.py", "MultiInstanceTask.check_completion_condition",
     "my_task.workflow.script_engine.evaluate"): THROUGH_ENGINE,
    ("bpmn/specs/mixins/multiinstance_task.py", "SequentialMultiInstanceTask._update_hook",
     "my_task.workflow.script_engine.evaluate"): THROUGH_ENGINE,
    ("bpmn/specs/mixins/multiinstance_task.py", "ParallelMultiInstanceTask.create_children",
     "my_task.workflow.script_engine.evaluate"): THROUGH_ENGINE,
    ("bpmn/specs/mixins/script_task.py", "ScriptTask._execute", "task.workflow.script_engine.execute"): THROUGH_ENGINE,
    ("camunda/specs/event_definitions.py", "MessageEventDefinition.throw", "my_task.workflow.script_engine.evaluate"):
        THROUGH_ENGINE + " (and diwan parses messages as plain BPMN ones)",
    ("camunda/specs/multiinstance_task.py", "update_task_spec", "my_task.workflow.script_engine.evaluate"):
        THROUGH_ENGINE + " (and diwan parses multi-instance as standard BPMN)",
    ("dmn/engine/DMNEngine.py", "DMNEngine.__check_rule", "self.evaluate"): "DMNEngine.evaluate, below",
    ("dmn/engine/DMNEngine.py", "DMNEngine.evaluate", "script_engine.evaluate"): THROUGH_ENGINE,
    ("dmn/specs/model.py", "Rule.output_as_dict", "script_engine.evaluate"): THROUGH_ENGINE,
    ("operators.py", "Match.__init__", "re.compile"):
        "SpiffWorkflow's core operators: no BPMN parser class creates them (tested)",
    ("serializer/dict.py", "get_class", "__import__"):
        "the old core dict serializer: diwan stores state with the BPMN serializer's registry, which maps type names "
        "to classes it knows and imports nothing",
    ("specs/Transform.py", "Transform._update_hook", "exec"):
        "a core (non-BPMN) spec: no BPMN parser class creates it (tested)",
    ("specs/Execute.py", "Execute._start", "subprocess.Popen"):
        "a core (non-BPMN) spec that runs commands: no BPMN parser class creates it (tested)",
    ("serializer/dict.py", "DictionarySerializer.deserialize_dict", "pickle.loads"):
        "the old core dict serializer (pickle): not used, state is JSON read by the BPMN serializer",
    ("serializer/dict.py", "DictionarySerializer.deserialize_list", "pickle.loads"):
        "the old core dict serializer (pickle): not used",
    ("serializer/dict.py", "DictionarySerializer.deserialize_join", "pickle.loads"):
        "the old core dict serializer (pickle): not used",
    ("spiff/specs/event_definitions.py", "MessageEventDefinition.throw", "my_task.workflow.script_engine.evaluate"):
        THROUGH_ENGINE,
    ("spiff/specs/event_definitions.py", "SpiffItemAwareEventDefinition.throw",
     "my_task.workflow.script_engine.evaluate"): THROUGH_ENGINE,
    ("spiff/specs/mixins/service_task.py", "ServiceTask.evaluate_params", "task.workflow.script_engine.evaluate"):
        THROUGH_ENGINE,
    ("spiff/specs/mixins/service_task.py", "ServiceTask._execute", "task.workflow.script_engine.call_service"):
        "reaches SandboxEnvironment.call_service, which refuses",
    ("spiff/specs/spiff_task.py", "SpiffBpmnTask.execute_script", "my_task.workflow.script_engine.execute"):
        THROUGH_ENGINE + " (spiffworkflow pre/post scripts)",
}

CALLED_NAMES = frozenset({"eval", "exec", "compile", "__import__"})
"""Functions that run or load text, looked for in SpiffWorkflow's sources."""
CALLED_METHODS = frozenset({"evaluate", "execute", "call_service", "compile", "import_module"})
"""Method names that run or load text, looked for in SpiffWorkflow's sources."""
CALLED_QUALIFIED = frozenset({
    "subprocess.Popen", "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "os.system", "os.popen", "os.execv", "os.execvp", "os.spawnv", "pickle.loads", "pickle.load",
    "marshal.loads", "marshal.load", "shelve.open",
})
"""Calls that run commands or load objects, looked for in SpiffWorkflow's sources."""
