"""The app's HTTP API, pinned: every named endpoint with its parameters (name, component, default on a CPU)
and the components it returns. Scripts call these by name and position, so a refactor of the web app must
leave this table as it is; a deliberate rename changes it here, in the same commit, with the reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.serving import one_network_engine
from nst.transformer import build_transformer, save_checkpoint
from studio import build_demo
from tests.helpers import gradient_image

pytestmark = [
    pytest.mark.usefixtures("vgg_weights", "styles_dir"),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
]

NO_DEFAULT = object()
STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]

# endpoint: ((parameter, component, default on a CPU engine), ...), (returned components, ...)
EXPECTED: dict[str, tuple[tuple[tuple[str, str, Any], ...], tuple[str, ...]]] = {
    "/fast": (
        (
            ("photo", "Image", NO_DEFAULT),
            ("preset", "Dropdown", "van-gogh"),
            ("strength", "Slider", 1),
            ("preserve", "Checkbox", False),
            ("size", "Radio", 512),
            ("preset2", "Dropdown", ""),  # issue 9: a second preset and its share, added after the others
            ("mix", "Slider", 0),
        ),
        ("Image", "Markdown", "Json"),
    ),
    "/quality": (
        (
            ("photo", "Image", NO_DEFAULT),
            ("style", "Dropdown", "van-gogh"),
            ("style_upload", "Image", NO_DEFAULT),
            ("style2", "Dropdown", ""),
            ("style2_upload", "Image", NO_DEFAULT),
            ("blend", "Slider", 0.5),
            ("strength", "Slider", 1.0),
            ("steps", "Slider", 100),
            ("size", "Slider", 256),
            ("preserve", "Checkbox", False),
            ("style_layers", "Checkboxgroup", STYLE_LAYERS),
            ("content_layers", "Checkboxgroup", ["relu4_2"]),
            ("tv_weight", "Slider", 1.0),
            ("optimizer", "Radio", "lbfgs"),
            ("init", "Radio", "content"),
            ("seed", "Number", 0),
            ("style_scale", "Slider", 1.0),
            ("coarse_to_fine", "Checkbox", False),
        ),
        ("Image", "Html", "Json"),
    ),
    "/stop_quality": ((), ()),
    "/compare": (
        (("photo", "Image", NO_DEFAULT), ("preset", "Dropdown", "van-gogh")),
        ("Imageslider", "Image", "Image", "Html", "Dataframe"),
    ),
    "/stop_compare": ((), ()),
    "/video": (
        (
            ("source", "Video", NO_DEFAULT),
            ("preset", "Dropdown", "van-gogh"),
            ("strength", "Slider", 1),
            ("preserve", "Checkbox", False),
            ("size", "Radio", 480),
            ("smoothing", "Checkbox", True),
        ),
        ("Video", "Html", "Json"),
    ),
    "/stop_video": ((), ()),
    "/live": (
        (
            ("frame", "Image", NO_DEFAULT),
            ("preset", "Dropdown", "van-gogh"),
            ("strength", "Slider", 1),
            ("smoothing", "Checkbox", True),
        ),
        ("Image", "Html"),
    ),
}


def _parameter(spec: dict[str, Any]) -> tuple[str, str, Any]:
    default = spec["parameter_default"] if spec.get("parameter_has_default") else NO_DEFAULT
    return spec["parameter_name"], spec.get("component", ""), default


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The API of the app with one example photo (examples add no named endpoint)."""
    root = tmp_path_factory.mktemp("api")
    save_checkpoint(build_transformer("cpu"), root / "net")
    photo = root / "photo.jpg"
    gradient_image(96, 64).save(photo)
    engine = one_network_engine(root / "net", "cpu")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_EXAMPLES_CACHE", str(root / "examples"))
        return build_demo(engine, [photo]).get_api_info()


def test_named_endpoints_and_their_parameters_are_pinned(api: dict[str, Any]) -> None:
    named = api["named_endpoints"]
    assert sorted(named) == sorted(EXPECTED)  # no endpoint added, removed or renamed
    for endpoint, (parameters, returns) in EXPECTED.items():
        got = tuple(_parameter(spec) for spec in named[endpoint]["parameters"])
        assert got == parameters, endpoint
        assert tuple(spec["component"] for spec in named[endpoint]["returns"]) == returns, endpoint


def test_no_unnamed_endpoints(api: dict[str, Any]) -> None:
    """Every other event is private: only the table above is reachable by name."""
    assert api["unnamed_endpoints"] == {}
