# Windows backend (stage 1, unelevated): cordon.exe and its smoke-test helper.
# Included by the top-level CMakeLists.txt only when WIN32 (native MSVC/MinGW or the
# mingw-w64 cross build, cmake/mingw-w64.cmake).
file(GLOB CORDON_WINDOWS_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/../src/platform/windows/*.cpp)
# Stage 2 (elevated setup, sandbox users, firewall, uninstall): src/platform/windows/setup/.
file(GLOB CORDON_WINDOWS_SETUP_SOURCES CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_LIST_DIR}/../src/platform/windows/setup/*.cpp)
add_library(cordon_windows STATIC ${CORDON_WINDOWS_SOURCES} ${CORDON_WINDOWS_SETUP_SOURCES})
target_link_libraries(cordon_windows PUBLIC cordon_core cordon_winplan advapi32 userenv bcrypt kernel32 user32
                                            netapi32 ole32 oleaut32 crypt32 shell32 ntdll fwpuclnt)
target_compile_definitions(cordon_windows PUBLIC UNICODE _UNICODE WIN32_LEAN_AND_MEAN NOMINMAX
                                                 _WIN32_WINNT=0x0A00)

# CLI11 is header-only; native builds find it as a package, the cross build uses
# the staged headers (cmake/mingw-w64.cmake).
if(NOT CORDON_MINGW_INCLUDE)
  find_package(CLI11 REQUIRED)
endif()

# main_windows.cpp holds wmain (UTF-16 arguments -> UTF-8) and calls main.cpp's
# cordon_main; -municode makes the mingw CRT enter through wmain.
add_executable(cordon ${CMAKE_CURRENT_LIST_DIR}/../src/apps/cli/main.cpp
                      ${CMAKE_CURRENT_LIST_DIR}/../src/apps/cli/main_windows.cpp
                      ${CMAKE_CURRENT_LIST_DIR}/../src/apps/cli/options.cpp
                      ${CMAKE_CURRENT_LIST_DIR}/../src/apps/cli/arg_check.cpp
                      ${CMAKE_CURRENT_LIST_DIR}/../src/apps/cli/man_page.cpp)
target_link_libraries(cordon PRIVATE cordon_windows)
if(TARGET CLI11::CLI11)
  target_link_libraries(cordon PRIVATE CLI11::CLI11)
endif()
if(MINGW)
  # One self-contained .exe: no libstdc++/winpthread DLLs to ship or find under Wine.
  target_link_options(cordon PRIVATE -static -municode)
endif()
install(TARGETS cordon RUNTIME DESTINATION bin)

# Smoke-test helper: a tiny child that prints, reads stdin, exits with a code,
# sleeps, spawns grandchildren, and tries writes (tests/windows/).
add_executable(cordon_smoke_child ${CMAKE_CURRENT_LIST_DIR}/../tests/windows/smoke_child.cpp)
if(MINGW)
  target_link_options(cordon_smoke_child PRIVATE -static)
endif()
target_compile_definitions(cordon_smoke_child PRIVATE UNICODE _UNICODE NOMINMAX)
target_link_libraries(cordon_smoke_child PRIVATE shell32 user32)  # CommandLineToArgvW (echo-w), OpenDesktopW

# Stage 2: the command runner, started as the sandbox user; it builds the
# write-restricted token from its own token and runs one command for cordon.exe over
# named pipes (src/apps/runner, docs/windows.md "Stage 2: the command runner").
add_executable(cordon-runner ${CMAKE_CURRENT_LIST_DIR}/../src/apps/runner/main.cpp
                             ${CMAKE_CURRENT_LIST_DIR}/../src/apps/runner/session.cpp)
target_link_libraries(cordon-runner PRIVATE cordon_windows)
if(MINGW)
  target_link_options(cordon-runner PRIVATE -static -municode)
endif()
install(TARGETS cordon-runner RUNTIME DESTINATION bin)

# Test driver for the runner under Wine: starts cordon-runner.exe without a logon and
# checks the protocol end to end, termination and malformed frames (tests/windows/).
add_executable(cordon_runner_driver ${CMAKE_CURRENT_LIST_DIR}/../tests/windows/runner_driver.cpp)
target_link_libraries(cordon_runner_driver PRIVATE cordon_windows)
if(MINGW)
  target_link_options(cordon_runner_driver PRIVATE -static -municode)
endif()
