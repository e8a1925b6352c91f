# Chooses the CUDA architectures to compile kernels for, before the CUDA language is enabled
# (CMake otherwise picks its own default). The order, first match wins:
#   1. GAN_CUDA_ARCHITECTURES   (cache variable or environment variable), e.g. "90" or "80;90"
#   2. CMAKE_CUDA_ARCHITECTURES (cache variable, or CMake's own CUDAARCHS environment variable)
#   3. the GPUs visible on this machine, as reported by nvidia-smi
#   4. a default list covering Ampere (80, 86), Ada (89) and Hopper (90)
# Nothing here needs a GPU: CI compiles every kernel for the default list.
set(GAN_DEFAULT_CUDA_ARCHITECTURES "80;86;89;90")

if(NOT DEFINED GAN_CUDA_ARCHITECTURES AND DEFINED ENV{GAN_CUDA_ARCHITECTURES})
  set(GAN_CUDA_ARCHITECTURES "$ENV{GAN_CUDA_ARCHITECTURES}")
endif()
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND DEFINED ENV{CUDAARCHS})
  set(CMAKE_CUDA_ARCHITECTURES "$ENV{CUDAARCHS}")
endif()

if(DEFINED GAN_CUDA_ARCHITECTURES AND NOT GAN_CUDA_ARCHITECTURES STREQUAL "")
  set(_gan_arch "${GAN_CUDA_ARCHITECTURES}")
  set(_gan_arch_source "GAN_CUDA_ARCHITECTURES")
elseif(DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT CMAKE_CUDA_ARCHITECTURES STREQUAL "")
  set(_gan_arch "${CMAKE_CUDA_ARCHITECTURES}")
  set(_gan_arch_source "CMAKE_CUDA_ARCHITECTURES")
else()
  set(_gan_arch "")
  find_program(GAN_NVIDIA_SMI nvidia-smi)
  if(GAN_NVIDIA_SMI)
    execute_process(COMMAND ${GAN_NVIDIA_SMI} --query-gpu=compute_cap --format=csv,noheader
                    OUTPUT_VARIABLE _gan_caps RESULT_VARIABLE _gan_smi_rc ERROR_QUIET
                    OUTPUT_STRIP_TRAILING_WHITESPACE TIMEOUT 20)
    if(_gan_smi_rc EQUAL 0 AND _gan_caps MATCHES "^[0-9]")
      string(REPLACE "\n" ";" _gan_caps "${_gan_caps}")
      foreach(_cap IN LISTS _gan_caps)
        string(STRIP "${_cap}" _cap)
        string(REPLACE "." "" _cap "${_cap}")
        list(APPEND _gan_arch "${_cap}")
      endforeach()
      list(REMOVE_DUPLICATES _gan_arch)
      set(_gan_arch_source "the local GPU (nvidia-smi)")
    endif()
  endif()
  if(_gan_arch STREQUAL "")
    set(_gan_arch "${GAN_DEFAULT_CUDA_ARCHITECTURES}")
    set(_gan_arch_source "the default list (no GPU visible)")
  endif()
endif()

set(CMAKE_CUDA_ARCHITECTURES "${_gan_arch}" CACHE STRING "CUDA architectures for kernels/" FORCE)
message(STATUS "gan: CUDA architectures ${CMAKE_CUDA_ARCHITECTURES}, from ${_gan_arch_source}")
