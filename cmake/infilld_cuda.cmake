# CUDA is optional: AUTO enables it when nvcc and cuBLAS are found (under /usr/local/cuda on
# our machines, which have no GPU). Code is built for Hopper only, to keep CI short: sm_90a
# machine code (H100, H200) plus compute_90 PTX that a newer driver can compile.
set(INFILLD_HAVE_CUDA OFF)
if(NOT INFILLD_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    enable_language(CUDA)
    find_package(CUDAToolkit)
  endif()
  if(CMAKE_CUDA_COMPILER AND TARGET CUDA::cublas)
    set(INFILLD_HAVE_CUDA ON)
    # The targets are given as -gencode flags (INFILLD_CUDA_GENCODE): CMake 3.25 has no
    # spelling for the arch-specific sm_90a.
    set(CMAKE_CUDA_ARCHITECTURES OFF)
    set(INFILLD_CUDA_GENCODE "-gencode=arch=compute_90a,code=sm_90a;-gencode=arch=compute_90,code=compute_90")
    # C++17 for the kernels: CMake 3.25 knows no CUDA20 dialect for nvcc.
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    message(STATUS "infilld: CUDA backend ON (${CMAKE_CUDA_COMPILER})")
  elseif(INFILLD_CUDA STREQUAL "ON")
    message(FATAL_ERROR "INFILLD_CUDA=ON but nvcc or cuBLAS was not found")
  else()
    message(STATUS "infilld: CUDA backend OFF (nvcc or cuBLAS not found)")
  endif()
endif()
