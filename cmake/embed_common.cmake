# Helpers shared by the embedding scripts (cmake/embed.cmake,
# guests/embed_image.cmake).

# x2s_file_to_c_bytes(FILE OUT_BYTES OUT_LEN): the file's bytes as a C
# initializer list ("0x12,0x34,..." twelve to a line, no terminator) and its
# length.
function(x2s_file_to_c_bytes file out_bytes out_len)
	file(READ ${file} hex HEX)
	string(LENGTH "${hex}" hexlen)
	math(EXPR len "${hexlen} / 2")
	string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
	# CMake's regular expressions have no {n}: twelve groups, spelled out.
	string(REGEX REPLACE
		"(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)"
		"\\1\n\t" bytes "${bytes}")
	set(${out_bytes} "${bytes}" PARENT_SCOPE)
	set(${out_len} "${len}" PARENT_SCOPE)
endfunction()

# x2s_write_if_changed(FILE TEXT): rewrite FILE only when TEXT differs, so
# nothing that depends on it rebuilds needlessly.
function(x2s_write_if_changed file text)
	if(EXISTS ${file})
		file(READ ${file} old)
		if(old STREQUAL text)
			return()
		endif()
	endif()
	file(WRITE ${file} "${text}")
endfunction()
