// A tiny static x86-64 executable with one SystemTap SDT note (what
// <sys/sdt.h> emits, written out so no header is needed), a .stapsdt.base
// and a semaphore: the seed of the usdt_notes fuzz target. scripts/fuzz
// builds it with clang-19 when it runs that target.
void _start(void)
{
	__asm__ volatile(
		"990: nop\n"
		".pushsection .note.stapsdt,\"?\",\"note\"\n"
		".balign 4\n"
		".4byte 992f-991f, 994f-993f, 3\n"
		"991: .asciz \"stapsdt\"\n"
		"992: .balign 4\n"
		"993: .8byte 990b\n"
		".8byte _.stapsdt.base\n"
		".8byte sema\n"
		".asciz \"prov\"\n"
		".asciz \"name\"\n"
		".asciz \"-4@%eax 8@-16(%rbp) 4@$5 1@%sil\"\n"
		"994: .balign 4\n"
		".popsection\n"
		".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n"
		".weak _.stapsdt.base\n"
		".hidden _.stapsdt.base\n"
		"_.stapsdt.base: .space 1\n"
		".size _.stapsdt.base, 1\n"
		".popsection\n");
	for (;;)
		;
}
unsigned short sema __attribute__((section(".probes")));
