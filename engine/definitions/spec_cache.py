"""Building SpiffWorkflow specs from deployed sources, and the in-memory cache of built specs."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from ..errors import problem
from ..messages import Msg, msg
from . import io_mappings
from .camunda_parser import DiwanParser
from .transforms import ORIGIN


@dataclass(frozen=True)
class BuiltSpec:
    """A process spec and the specs of its subprocesses and called processes (shared, read-only)."""

    key: str
    spec: object
    subprocess_specs: dict
    lanes: dict  # element id -> lane name, as the diagram's lane sets say


def build_spec(key: str, bpmn: list[tuple[str, etree._Element]], dmn: list[tuple[str, etree._Element]]) -> BuiltSpec:
    """Parse translated trees into the spec of process `key`.

    Raises:
        ValidationException: SpiffWorkflow's, naming file and element.
    """
    parser = DiwanParser()
    for filename, root in bpmn:
        parser.add_bpmn_xml(root, filename=filename)
    for filename, root in dmn:
        parser.add_dmn_xml(root, filename=filename)
    spec = parser.get_spec(key)
    # Elements added by the deploy-time transformations -> the designer's element they stand for
    # (WorkflowRun names the latter in failures). Set once here, read-only afterwards.
    spec.diwan_origins = {el.get("id"): el.get(ORIGIN) for _, root in bpmn
                          for el in root.iter() if isinstance(el.tag, str) and el.get(ORIGIN)}
    subprocesses = parser.get_subprocess_specs(key)
    for name, sub in subprocesses.items():
        if sub is None:
            raise ValidationException(msg("the called process {name} is not deployed", name=repr(name)),
                                      file_name=bpmn[0][0])
    _attach_process_listeners(spec, subprocesses, (root for _, root in bpmn))
    return BuiltSpec(key, spec, subprocesses, _lanes(root for _, root in bpmn))


def _attach_process_listeners(spec, subprocesses: dict, roots) -> None:
    """A process's own execution listeners (start, end) onto its spec and its called specs
    (`camunda_listeners`, read by WorkflowRun; checked at deploy by translate.py)."""
    by_process = {}
    for root in roots:
        for proc in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}process"):
            hooks = io_mappings.listeners(proc)
            if hooks:
                by_process[proc.get("id")] = hooks
    for name, process_spec in ((spec.name, spec), *subprocesses.items()):
        if name in by_process and process_spec is not None:
            process_spec.camunda_listeners = by_process[name]


def _lanes(roots) -> dict[str, str]:
    """Element id -> lane name. SpiffWorkflow 3.2 gives every task inside an embedded
    subprocess the subprocess's own lane (SubWorkflowParser passes its lane down), so the
    engine reads the lanes' flowNodeRefs itself."""
    out: dict[str, str] = {}
    for root in roots:
        for lane in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}lane"):
            for ref in lane.iterfind("{http://www.omg.org/spec/BPMN/20100524/MODEL}flowNodeRef"):
                if ref.text and lane.get("name"):
                    out[ref.text.strip()] = lane.get("name")
    return out


def spiff_message(text: str) -> Msg:
    """A SpiffWorkflow ValidationException's text (English, its own) as the detail of one of ours."""
    return msg("SpiffWorkflow refuses the diagram: {detail}", detail=text)


def validation_problem(exc: ValidationException, default_file: str | None) -> dict:
    """A deployment problem from SpiffWorkflow's ValidationException."""
    text = str(exc.args[0] if exc.args else exc)
    if text.startswith("RecursionError("):  # TaskParser.parse_node wraps any exception in its repr
        message = msg("the process is too long or too deeply nested for SpiffWorkflow's parser, which follows each "
                      "sequence flow by recursion (about {limit} elements in a row at most): split it into "
                      "called processes", limit=RECURSION_HINT)
    elif isinstance(exc.args[0] if exc.args else None, Msg):  # raised by diwan's own parser classes
        message = exc.args[0]
    else:
        message = spiff_message(text)
    return problem(getattr(exc, "file_name", None) or default_file, getattr(exc, "id", None) or None, message)


RECURSION_HINT = 450


class SpecCache:
    """Built specs by (definition id, bindings); parsing never happens per command."""

    def __init__(self, max_entries: int = 256):
        self._entries: OrderedDict[tuple, BuiltSpec] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, cache_key: tuple, build: Callable[[], BuiltSpec]) -> BuiltSpec:
        with self._lock:
            hit = self._entries.get(cache_key)
            if hit is not None:
                self._entries.move_to_end(cache_key)
                return hit
        built = build()
        with self._lock:
            self._entries[cache_key] = built
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return built
