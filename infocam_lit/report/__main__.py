from infocam_lit.report.render import main

main()
