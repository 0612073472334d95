/* The float64 kernels at the baseline level (every build; kernels.inc). */
#define MMF_F64
#define MMF_TABLE mmf_f64_baseline
#include "kernels.inc"
