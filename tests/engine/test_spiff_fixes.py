"""The SpiffWorkflow 3.2 bug worked around in engine/runtime/spiff_fixes.py, shown and fixed.

Each case runs in a fresh interpreter: the stock case must not import diwan at all.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

LOOP = """<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
<bpmn:process id="loop" isExecutable="true">
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="m"/>
<bpmn:exclusiveGateway id="m"/><bpmn:sequenceFlow id="f2" sourceRef="m" targetRef="inc"/>
<bpmn:scriptTask id="inc"><bpmn:script>i = i + 1</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f3" sourceRef="inc" targetRef="g"/>
<bpmn:exclusiveGateway id="g" default="f5"/>
<bpmn:sequenceFlow id="f4" sourceRef="g" targetRef="m"><bpmn:conditionExpression>i &lt; 400</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f5" sourceRef="g" targetRef="e"/><bpmn:endEvent id="e"/>
</bpmn:process></bpmn:definitions>"""

SCRIPT = textwrap.dedent("""
    import sys
    {patch}
    from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState
    parser = BpmnParser()
    parser.add_bpmn_str(sys.stdin.read().encode())
    wf = BpmnWorkflow(parser.get_spec("loop"))
    wf.get_next_task(state=TaskState.READY).data.update(i=0)
    wf.do_engine_steps()
    print(wf.is_completed(), wf.data.get("i"))
""")


def _run(patch: str) -> str:
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(patch=patch)], input=LOOP, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_deep_tree__stock_spiffworkflow_stops_silently():
    # 400 iterations make the tree ~1,200 deep: the workflow says it completed, with i far from 400.
    completed, i = _run("").split()
    assert completed == "True" and i != "400"


def test_deep_tree__fixed_by_raising_the_iterator_depth():
    assert _run("import engine.runtime.spiff_fixes") == "True 400"
