from infocam_lit.report.render import main

if __name__ == "__main__":  # not when pytest imports the package for its doctests
    main()
