from wufei.manifests.flowdoc import DOC, render
from wufei.manifests.flows import FLOWS


def test_docs_flows_md_is_current():
    assert DOC.read_text(encoding="utf-8") == render(), "run: wufei flows-doc --write"


def test_every_flow_names_the_source_of_its_rules():
    for flow in FLOWS.values():
        assert flow.sources, flow.key
