"""Inference backends: every backend and precision gives the same vectors, the choice is right."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imagededup.methods import CNN
from imagededup.models.backends import choose_backend, choose_precision
from imagededup.models.backends.openvino import cpu_has_bf16
from tests.conftest import imagededup

EXAMPLES = Path(__file__).parent.parent / "examples" / "images"


@pytest.fixture(scope="module")
def runtime() -> CNN:
    return CNN(verbose=False, backend="onnxruntime")


@pytest.fixture(scope="module")
def openvino() -> CNN:
    return CNN(verbose=False, backend="openvino", precision="f32")


@pytest.fixture(scope="module")
def reference(runtime) -> dict[str, np.ndarray]:
    """The example photos (11: a full and a short batch) encoded by onnxruntime in float32."""
    return runtime.encode_images(EXAMPLES)


def agreement(vectors: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> float:
    assert list(vectors) == list(reference) and len(vectors) == 11
    return min(float(vectors[name] @ reference[name]) for name in reference)


def test_openvino_f32_gives_onnxruntime_vectors(openvino, reference):
    assert openvino.encoder.backend.name == "openvino"
    assert agreement(openvino.encode_images(EXAMPLES), reference) >= 0.9999
    # one image alone (a padded batch) gives the same vector as in a batch
    alone = openvino.encode_image(image_file=EXAMPLES / "rocket.jpg")  # (1, D), as 0.3.3
    assert alone.shape == (1, reference["rocket.jpg"].size)
    assert float(alone[0] @ reference["rocket.jpg"]) >= 0.9999


@pytest.mark.skipif(not cpu_has_bf16(), reason="this CPU has no AVX512-BF16 or AMX")
def test_bf16_stays_close_to_f32(reference):
    cnn = CNN(verbose=False, backend="openvino", precision="bf16")
    assert cnn.encoder.backend.precision == "bf16"
    assert agreement(cnn.encode_images(EXAMPLES), reference) >= 0.99


@pytest.mark.skipif(cpu_has_bf16(), reason="this CPU computes in bf16")
def test_bf16_on_a_cpu_without_it_is_refused_not_faked():
    with pytest.raises(ValueError, match="cannot run OpenVINO in bf16"):
        CNN(verbose=False, backend="openvino", precision="bf16")
    assert choose_precision("openvino") == "f32"


def test_automatic_choice():
    assert choose_backend("auto", tested_on_openvino=True) == "openvino"  # no CUDA here
    assert choose_backend("auto", tested_on_openvino=False) == "onnxruntime"  # onnx:<path>, sscd
    assert choose_backend("onnxruntime", tested_on_openvino=True) == "onnxruntime"
    assert choose_precision("onnxruntime") == "f32"
    assert choose_precision("openvino") == "f32"  # bf16 only when asked (accuracy unmeasured)
    assert choose_precision("openvino", "bf16") == "bf16"
    with pytest.raises(ValueError, match="backend must be"):
        CNN(verbose=False, backend="tensorrt")
    with pytest.raises(ValueError, match="precision must be"):
        CNN(verbose=False, precision="f16")
    with pytest.raises(ValueError, match="f32 only"):
        CNN(verbose=False, backend="onnxruntime", precision="bf16")


def test_cache_key_names_the_precision_not_the_backend(runtime, openvino):
    """float32 backends agree below float16 storage, so they share cached vectors; bf16 does not."""
    assert runtime.encoder.model_id == openvino.encoder.model_id
    assert runtime.encoder.model_id.endswith("|f32")


def test_openvino_runs_without_its_telemetry(tmp_path):
    """Importing OpenVINO's conversion tools writes ~/intel and sends a usage event: not done."""
    code = (
        "from imagededup.models.backends.openvino import OpenVinoBackend, cpu_has_bf16, ov;"
        "cpu_has_bf16(); import sys; assert 'openvino.tools.ovc' not in sys.modules;"
        "import openvino.tools.ovc"  # still importable by the application
    )
    # openvino-telemetry stays silent where CI=true; unset it so the control below can fail
    env = {**{k: v for k, v in os.environ.items() if k != "CI"}, "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert (tmp_path / "intel").exists()  # the application's own import of the tools did it
    (tmp_path / "intel").rename(tmp_path / "seen")
    subprocess.run([sys.executable, "-c", code.rsplit(";", 1)[0]], env=env, check=True)
    assert not (tmp_path / "intel").exists()


def test_command_line_backend_options(openvino, tmp_path):
    out = tmp_path / "result.json"
    run = imagededup("find", str(EXAMPLES), "--backend", "onnxruntime", "--json", str(out), "-q")
    assert run.returncode == 0, run.stderr
    found = {name: [dup for dup, _ in dups] for name, dups in json.loads(out.read_text()).items()}
    assert found == openvino.find_duplicates(image_dir=EXAMPLES)
    assert any(found.values())
    wrong = imagededup("find", str(EXAMPLES), "--precision", "f16")
    assert wrong.returncode == 2 and "--precision" in wrong.stderr
