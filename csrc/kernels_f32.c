/* The float32 kernels at the baseline level (every build; kernels.inc). */
#define MMF_F32
#define MMF_TABLE mmf_f32_baseline
#include "kernels.inc"
