"Run every benchmark in turn; each one writes its section of bench/RESULTS.md."
import subprocess, sys
from pathlib import Path

HERE = Path(__file__).parent
for script in ["bench_surface.py", "bench_hessian.py", "bench_connectivity.py", "bench_tracking.py", "bench_sharpness.py", "bench_train.py", "bench_kernels.py", "bench_startup.py", "bench_figures.py", "bench_test_commands.py", "bench_pipeline.py"]:
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
